from . import oauth, webhooks
