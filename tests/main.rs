mod harness;
mod hostile;
