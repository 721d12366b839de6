"""Import every module of a package (not its __main__): run in a member's own environment, it proves the
member declares every dependency it imports (`make members`)."""

import importlib
import pkgutil
import sys


def import_all(package_name: str) -> int:
    package = importlib.import_module(package_name)
    names = [package_name]
    for module in pkgutil.walk_packages(package.__path__, package_name + "."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
            names.append(module.name)
    return len(names)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: {import_all(name)} modules import with only its declared dependencies")
