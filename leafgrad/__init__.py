"""leafgrad: PyTorch's autograd on NumPy."""
