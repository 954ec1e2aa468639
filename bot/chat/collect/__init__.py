"""A payee's steps in the chat: /split and /collect, the progress board's buttons, holds."""
