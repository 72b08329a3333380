def register_imports():
    pass
