"""The ground floor: the Keras/TF adapter, source mapping, tracebacks, error text. Imports nothing of ours."""
