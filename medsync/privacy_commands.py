"""`flask medsync` commands for the privacy of medical data: rotating the results key."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from medsync.services import key_rotation


def register(group: AppGroup) -> None:
    group.add_command(rotate_results_key)


@click.command("rotate-results-key")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="Files re-encrypted per transaction.")
@with_appcontext
def rotate_results_key(batch_size: int) -> None:
    """Re-encrypt every stored result file with the first key of RESULTS_KEY (also encrypts files stored in plain
    before encryption). Resumable: run it again after an interruption; once it reports nothing left, the old key may
    leave RESULTS_KEY."""
    left = key_rotation.left_to_rotate()
    with click.progressbar(length=left, label="re-encrypting result files") as bar:
        rotation = key_rotation.rotate(batch_size=batch_size, progress=bar.update)
    click.echo(f"re-encrypted {rotation.re_encrypted} result file(s) with the first key of RESULTS_KEY")
    if rotation.missing:
        click.echo(f"{len(rotation.missing)} file(s) missing on disk, left as they were: results "
                   + ", ".join(map(str, rotation.missing)), err=True)
    if rotation.damaged:
        click.echo(f"{len(rotation.damaged)} file(s) failed their integrity check, left as they were: results "
                   + ", ".join(map(str, rotation.damaged)), err=True)
    if not rotation.complete:
        raise click.ClickException("not every file was re-encrypted: keep the old key in RESULTS_KEY")
