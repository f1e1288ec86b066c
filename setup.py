from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
# Ranges, not this machine's pins (dependencies/requirements.txt): installing the package into a
# serving or GPU environment keeps that environment's torch build. The floors are what the code
# uses: torch.amp.GradScaler(device) (torch 2.3, torchvision 0.18), MLflow 3's LoggedModel.
requirements = [
    "torch>=2.3",
    "torchvision>=0.18",
    "numpy>=1.26",
    "scipy>=1.11",
    "scikit-learn>=1.4",
    "matplotlib>=3.8",
    "pillow>=10",
    "imageio>=2.31",
    "pyyaml>=6",
    "tqdm>=4.66",
    "mlflow>=3.0",
    "submitit>=1.5",
    "filelock>=3.12",
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
