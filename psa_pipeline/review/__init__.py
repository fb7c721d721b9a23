"""`psa review`: a small local web app over a batch, for reviewers to watch, listen and decide."""
