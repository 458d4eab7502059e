"""``python -m sktimbre.cli``: the same as the ``sktimbre`` command."""

if __name__ == "__main__":
    from sktimbre.cli import main

    raise SystemExit(main())
