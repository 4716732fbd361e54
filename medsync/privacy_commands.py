"""`flask medsync` commands for the privacy of medical data: rotating the results key, renaming files stored under
their content's hash."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from medsync.services import key_rotation, result_names


def register(group: AppGroup) -> None:
    group.add_command(rotate_results_key)
    group.add_command(rename_result_files)


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


@click.command("rename-result-files")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="Files renamed per transaction.")
@with_appcontext
def rename_result_files(batch_size: int) -> None:
    """Rename result files stored under the SHA-256 of their content (before migration 0013) to names of no meaning,
    and remove such names no row uses any more. Hard links, then the rows, then the old names: downloads go on
    meanwhile, and an interrupted run is simply run again. Run it once every process runs this version."""
    left = result_names.left_to_rename()
    with click.progressbar(length=left, label="renaming result files") as bar:
        renaming = result_names.rename_all(batch_size=batch_size, progress=bar.update)
    click.echo(f"renamed {renaming.renamed} result file(s); removed {renaming.removed} old name(s) no result uses")
    if renaming.missing:
        raise click.ClickException(f"{len(renaming.missing)} file(s) missing on disk, left as they were: results "
                                   + ", ".join(map(str, renaming.missing)))
