"""Model packages: the immutable, content-addressed bundle of a model and its manifest."""
