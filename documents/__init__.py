"""Documents as bytes to text: main-content parsing, content hash, encoding, attachment readers."""
