"""A payee's steps in the chat: /split and /collect, the progress board's buttons, holds, and
their own receiving methods, transfer claims, returns and bank statements."""
