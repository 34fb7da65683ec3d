"""Plain-Python Xero layer: gateway, throttle, payloads, phones, errors, emulator.

Never imports odoo.
"""
