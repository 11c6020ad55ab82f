"""Webhook delivery over HTTP: the sender seam, its aiohttp implementation and a fake."""
