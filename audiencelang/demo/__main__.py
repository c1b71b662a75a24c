"""``python -m audiencelang.demo generate``."""

from audiencelang.demo.cli import demo_cli

if __name__ == "__main__":  # pragma: no cover
    demo_cli()
