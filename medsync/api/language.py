"""/api/v1/me/language: the language a patient reads (the bot, the Mini App, every chat message and every API error
follow it), and their own choice of it."""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from medsync.api.auth import current_patient_profile, verified_init_data
from medsync.api.json_body import require_json_object
from medsync.api.refusals import JSON_BODY, PATIENT_AUTH, refusals
from medsync.api.schemas import one_of
from medsync.extensions import db
from medsync.i18n import LANGUAGES, user_language
from medsync.services import languages, users

blp = Blueprint("language", __name__, url_prefix="/api/v1/me",
                description="The patient's language. Needs `Authorization: tma <initData>`.")
TMA = [{"tma": []}]


@blp.before_request
def require_patient() -> None:
    """A verified patient, or 401 before anything else."""
    if request.method != "OPTIONS":  # CORS preflights carry no credentials
        verified_init_data()


blp.before_request(require_json_object)


class LanguageChoiceSchema(Schema):
    language = fields.String(required=True, validate=one_of(list(LANGUAGES)))


class MyLanguageSchema(Schema):
    language = fields.String(required=True, metadata={
        "enum": list(LANGUAGES),
        "description": "What the patient reads: their own choice, else their Telegram's language, else `en`.",
    })
    chosen = fields.Boolean(required=True, metadata={"description": "They chose it themselves (the bot's /language "
                                                                    "or the Mini App's selector)."})


@blp.route("/language")
class MyLanguage(MethodView):
    @blp.response(200, MyLanguageSchema)
    @refusals(blp, {401: PATIENT_AUTH})
    @blp.doc(security=TMA)
    def get(self) -> dict[str, Any]:
        """The language I read."""
        user = verified_init_data().user
        choice = languages.choice_of(user.id)
        return {"language": user_language(choice, user.language_code), "chosen": choice is not None}

    @blp.arguments(LanguageChoiceSchema)
    @blp.response(200, MyLanguageSchema)
    @refusals(blp, {401: PATIENT_AUTH, **JSON_BODY})
    @blp.doc(security=TMA)
    def put(self, choice: dict[str, Any]) -> dict[str, Any]:
        """Choose the language I read, from now on everywhere (it wins over my Telegram's)."""
        profile = current_patient_profile()
        users.write_profile(profile)
        languages.choose(profile.telegram_id, choice["language"])
        db.session.commit()
        users.forget_sender_hint(profile.telegram_id)  # the bot reads the new choice on my next update
        return {"language": choice["language"], "chosen": True}
