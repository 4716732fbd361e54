"""Results unique per visit by content, in the database: their files on disk are no longer named by the content's
SHA-256 (a name that lets anyone holding a document and reading the disk confirm it is stored), so the unique file
name no longer decides that the same file uploaded twice for a visit is one result; this index does.

Already unique in every database before it: each row's storage path was "<booking_id>/<sha256>.pdf", unique. Files
named that way are renamed by `flask medsync rename-result-files` (resumable), not here: a migration should not walk
RESULTS_DIR.

Revision ID: 0013_result_names
Revises: 0012_schedule_version
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_result_names'
down_revision = '0012_schedule_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('uq_results_booking_sha256', 'results', ['booking_id', 'sha256'], unique=True)


def downgrade():
    op.drop_index('uq_results_booking_sha256', table_name='results')
