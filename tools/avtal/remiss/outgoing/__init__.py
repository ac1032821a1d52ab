"""What goes out to the parties: the packages (missiv, documents, redline, svarsformulär) and the e-mails."""
