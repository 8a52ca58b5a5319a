"""What goes into the wheel beyond the metadata in pyproject.toml.

The repository keeps ``templates/`` and ``migrations/`` at its top level (the documented
layout), beside the ``ticketdesk`` package. An installed desk has no checkout around it, so
the wheel carries both inside the package, as ``ticketdesk/templates`` and
``ticketdesk/migrations``, with ``ticketdesk/static`` and any compiled translations;
``ticketdesk.create_app`` looks inside the package first, then in the checkout.
(pyproject.toml cannot map packages from other folders beside the ones it finds, hence
this file.)
"""

from pathlib import Path

from setuptools import find_namespace_packages, find_packages, setup

HERE = Path(__file__).resolve().parent

# Folders of files the desk reads at run time, and where they go inside the package.
DATA = {
    "ticketdesk.templates": "templates",
    "ticketdesk.migrations": "migrations",
    "ticketdesk.static": "ticketdesk/static",
    "ticketdesk.translations": "ticketdesk/translations",
}


def _data_packages() -> list[str]:
    """Each data folder and every folder inside it, as packages: setuptools installs a
    file with the package of the folder it lies in."""
    names = []
    for package, folder in DATA.items():
        if (HERE / folder).is_dir():
            names.append(package)
            names += [
                f"{package}.{sub}"
                for sub in find_namespace_packages(
                    where=str(HERE / folder), exclude=["__pycache__", "*.__pycache__"]
                )
            ]
    return names


DATA_PACKAGES = _data_packages()

setup(
    packages=[*find_packages(include=["ticketdesk", "ticketdesk.*"]), *DATA_PACKAGES],
    package_dir={
        package: folder for package, folder in DATA.items() if not folder.startswith("ticketdesk/")
    },
    # Every file of the data folders; their .py files (migrations) go in as modules.
    package_data={package: ["*"] for package in DATA_PACKAGES},
    exclude_package_data={"": ["*.py", "*.pyc", ".*"]},
)
