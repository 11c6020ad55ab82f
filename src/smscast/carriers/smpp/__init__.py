"""The SMPP 3.4 carrier: sessions (binds) and the carrier that spreads submits over them."""
