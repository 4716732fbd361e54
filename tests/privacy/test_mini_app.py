"""The Mini App's "Your data" under My bookings: its buttons and its own texts, in the page's language."""
from __future__ import annotations


def test_my_bookings_offers_your_data_with_its_texts_in_the_pages_language(client):
    page = client.get("/app/bookings", headers={"Accept-Language": "uk"}).get_data(as_text=True)

    assert "data-export>Завантажити мої дані</button>" in page
    assert "data-erase>Видалити мої дані</button>" in page
    assert 'data-erase-confirm="Видалити ваші дані?' in page
    assert "/static/js/my_data.js" in page or "js/my_data" in page
