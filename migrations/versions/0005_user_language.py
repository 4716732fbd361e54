"""a user's own choice of language

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 15:00:00

`users.language` is the language a user chose (/language in the bot, the Mini App's selector): one of the
catalogs' (uk, en, ru, pl). Until they choose, it is NULL and their Telegram's `language_code` decides.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column('users', 'language')
