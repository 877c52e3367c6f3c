from ._vmap import vmap  # noqa: F401
