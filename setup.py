from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
requirements = [
    line.strip()
    for line in (here / "dependencies" / "requirements.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]

setup(
    name="parametricSN",
    version="0.1.0",
    description="Parametric scattering networks: learnable Morlet scattering for small-sample image classification",
    long_description=(here / "README.md").read_text(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["parametricSN", "parametricSN.*"]),
    python_requires=">=3.10",
    install_requires=requirements,
    extras_require={"test": ["pytest>=8", "kymatio==0.3.0"]},
    entry_points={"console_scripts": ["parametricSN=parametricSN.__main__:main"]},
)
