"""Carriers: the links that hand SMS parts to mobile networks and bring receipts back."""
