"""What the tests build Chipin from: fakes of its ports."""
