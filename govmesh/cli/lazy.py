"""Subcommands whose modules load only when they run, so `govmesh --help` answers at once."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer import _click as click  # typer carries its own copy of click; its groups are built on it
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """Where a subcommand lives (`module:attribute`, a Typer app or a command function) and its one-line help."""

    target: str
    help: str


class _Proxy(TyperCommand):
    """Stands in for a subcommand in listings; loads the real one when it is parsed or run."""

    def __init__(self, name: str, spec: LazyCommand):
        super().__init__(name=name, help=spec.help, short_help=spec.help)
        self._spec = spec
        self._loaded: click.Command | None = None

    def real(self) -> click.Command:
        if self._loaded is None:
            module_name, _, attribute = self._spec.target.partition(":")
            found = getattr(importlib.import_module(module_name), attribute)
            if isinstance(found, typer.Typer):
                command = typer.main.get_command(found)
            else:  # a plain function: wrap it as Typer would for `app.command()`
                wrapper = typer.Typer()
                wrapper.command(self.name)(found)
                command = typer.main.get_command(wrapper)
            command.name = self.name
            # Shell completion is installed from the top-level `govmesh`; a subcommand offering it again is noise.
            command.params = [p for p in command.params if p.name not in {"install_completion", "show_completion"}]
            self._loaded = command
        return self._loaded

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any):  # type: ignore[no-untyped-def]
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return self.real().invoke(ctx)


class LazyGroup(TyperGroup):
    """The root group: its own commands as usual, plus subcommands registered by `register_lazy`."""

    lazy: ClassVar[dict[str, LazyCommand]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            return _Proxy(cmd_name, self.lazy[cmd_name])
        return super().get_command(ctx, cmd_name)


def register_lazy(commands: dict[str, LazyCommand]) -> None:
    LazyGroup.lazy.update(commands)
