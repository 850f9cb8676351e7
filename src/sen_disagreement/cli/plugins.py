"""``sen-disagreement plugins`` and ``sen-disagreement council NAME``."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, NoReturn

import click

from sen_disagreement.cli._common import ExitCode, error_document, fail, format_option
from sen_disagreement.cli._usage import Command
from sen_disagreement.errors import (
    IndependenceError,
    NoProviderError,
    PluginError,
    SenDisagreementError,
)

__all__ = ["council", "plugins"]

if TYPE_CHECKING:
    from sen_disagreement.plugins import Hooks

EXIT_NO_PROVIDER = int(ExitCode.ANSWERED_NO)
EXIT_NOT_FOUND = int(ExitCode.BAD_INPUT)
EXIT_PLUGIN_ERROR = int(ExitCode.FAULT)


def _hooks(fmt: str) -> Hooks:
    from sen_disagreement.plugins import Hooks, make_plugin_manager

    try:
        return Hooks(make_plugin_manager())
    except PluginError as exc:
        fail(exc, fmt)


def _answered_no(err: SenDisagreementError, fmt: str) -> NoReturn:
    """The routing question answered "no provider": exit 1, the error in the usual shape."""
    if fmt == "json":
        click.echo(json.dumps({**error_document(err), "exit_code": EXIT_NO_PROVIDER}, indent=2))
    else:
        click.echo(f"error: {err}", err=True)
    sys.exit(EXIT_NO_PROVIDER)


@click.command(cls=Command)
@format_option
def plugins(fmt: str) -> None:
    """List installed plugins: name, distribution and version, the hooks each implements, the
    councils each owns or is a delegate of, and the ownership faults found.

    A plugin speaks only for the councils it declares (or is named a delegate of); any other
    answer for a council, and a council declared by two plugins, is listed as a fault. Plugins
    named in SEN_DISAGREEMENT_BLOCK_PLUGINS (comma-separated) are not loaded. Exit code 0:
    listed (faults included); 3: a plugin could not be loaded.
    """
    from sen_disagreement.plugins import list_plugins

    hooks = _hooks(fmt)
    infos = list_plugins(hooks.plugin_manager)
    ownership = hooks.ownership()
    faults = hooks.check_ownership()
    owns = {i.name: [o.council.slug for o in ownership if o.owner == i.name] for i in infos}
    delegate_of = {
        i.name: [o.council.slug for o in ownership if i.name in o.delegates] for i in infos
    }
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "name": i.name,
                        "distribution": i.distribution,
                        "version": i.version,
                        "hooks": list(i.hooks),
                        "builtin": i.builtin,
                        "owns": owns[i.name],
                        "delegate_of": delegate_of[i.name],
                        "faults": [
                            {"hook": f.hook, "kind": f.kind.value, "council": f.council,
                             "detail": f.detail}
                            for f in faults if f.plugin == i.name
                        ],
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    for info in infos:
        origin = (
            "built in"
            if info.builtin
            else f"{info.distribution} {info.version}"
            if info.distribution
            else "registered in code"
        )
        click.echo(f"{info.name} ({origin})")
        for hook in info.hooks:
            click.echo(f"    {hook}")
        if owns[info.name]:
            click.echo(f"    owns: {', '.join(owns[info.name])}")
        if delegate_of[info.name]:
            click.echo(f"    delegate of: {', '.join(delegate_of[info.name])}")
    councils = [o.council for o in ownership]
    click.echo(
        "Councils: " + (", ".join(f"{c.name} ({c.slug})" for c in councils) or "none installed")
    )
    for o in ownership:
        if o.contested:
            click.echo(f"  {o.council.slug}: no owner (declared by {', '.join(o.claimants)})")
    if faults:
        click.echo("Plugin faults:")
        for f in faults:
            where = f" council {f.council}" if f.council else ""
            click.echo(f"  {f.plugin} {f.hook}{where} ({f.kind.value}): {f.detail}")


@click.command(cls=Command)
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "oruk"]),
    default="text",
    show_default=True,
    help="oruk: Open Referral UK service records (JSON).",
)
@click.option(
    "--route",
    "process_name",
    type=click.Choice(["disagreement_resolution", "mediation"]),
    help="Route a check case of this process and show the provider chosen.",
)
@click.option("--health-in-issue", is_flag=True, help="With --route: health care is in issue.")
def council(name: str, fmt: str, process_name: str | None, health_in_issue: bool) -> None:
    """Show council NAME (GSS code, slug, LA number or name): profile, providers, contacts.

    With --route, route a check case (no personal data) to a provider as a real case would be,
    independence checks included. Exit code 0: found (and routed); 1: no provider for the
    route; 2: no such council installed (the installed ones are named); 3: a plugin could not
    be loaded.
    """
    from sen_disagreement.council import CaseContext, canonical_council, route_provider
    from sen_disagreement.plugins.oruk import export_council
    from sen_disagreement.voluntary import Process

    err_fmt = "json" if fmt in ("json", "oruk") else "text"
    hooks = _hooks(err_fmt)
    try:
        profile = canonical_council(hooks, name, field="NAME")
    except SenDisagreementError as exc:
        fail(exc, err_fmt)
    if process_name is not None:
        case = CaseContext(
            case_id="cli-route-check",
            process=Process(process_name),
            health_in_issue=health_in_issue,
        )
        try:
            routing = route_provider(hooks, profile, case)
        except (NoProviderError, IndependenceError) as exc:
            _answered_no(exc, err_fmt)
        provider = routing.provider
        if fmt == "text":
            click.echo(f"{routing.council.name}: {process_name} -> {provider.name}")
            click.echo(
                "  independence rules passed: "
                + ", ".join(r.rule_id for r in routing.independence.rules_applied)
            )
            for fault in routing.faults:
                click.echo(f"  plugin fault: {fault.plugin} {fault.hook} ({fault.kind.value})")
        else:
            click.echo(
                json.dumps(
                    {
                        "council": routing.council.slug,
                        "process": process_name,
                        "provider_id": provider.provider_id,
                        "provider": provider.name,
                        "rules_applied": [r.rule_id for r in routing.independence.rules_applied],
                        "parked": routing.parked,
                    },
                    indent=2,
                )
            )
        return
    providers = hooks.providers(profile)
    contacts = hooks.contacts(profile)
    if fmt == "oruk":
        click.echo(json.dumps(export_council(hooks, profile), indent=2, ensure_ascii=False))
        return
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "name": profile.name,
                    "legal_name": profile.legal_name,
                    "slug": profile.slug,
                    "gss_code": profile.gss_code,
                    "la_number": profile.la_number,
                    "providers": [
                        {
                            "provider_id": p.provider_id,
                            "name": p.name,
                            "kind": p.kind.value,
                            "employer": p.employer.kind.value if p.employer else None,
                        }
                        for p in providers
                    ],
                    "contacts": [
                        {
                            "role": c.role.value,
                            "name": c.name,
                            "address_lines": list(c.address_lines),
                            "town": c.town,
                            "postcode": c.postcode,
                            "telephone": c.telephone,
                            "email": c.email,
                            "url": c.url,
                        }
                        for c in contacts
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(f"{profile.legal_name or profile.name} ({profile.slug})")
    click.echo(f"  GSS code {profile.gss_code}; DfE LA number {profile.la_number}")
    click.echo("Providers:")
    for p in providers or []:
        employer = f"; employed by a {p.employer.kind.label}" if p.employer else "; independent"
        click.echo(f"  {p.name} [{p.provider_id}]: {p.kind.label}{employer}")
    if not providers:
        click.echo("  none declared")
    click.echo("Contacts:")
    for c in contacts:
        click.echo(f"  {c.name} ({c.role.label})")
        for line in (*c.address_lines, c.town, c.postcode):
            if line:
                click.echo(f"    {line}")
        if c.telephone:
            click.echo(f"    Tel {c.telephone}")
        if c.email:
            click.echo(f"    {c.email}")
    if not contacts:
        click.echo("  none declared")
