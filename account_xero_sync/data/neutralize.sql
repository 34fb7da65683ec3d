-- A neutralised copy (staging, support) must never talk to the dealers' live Xero organisations.
UPDATE xero_connection_token
   SET client_secret = NULL, access_token = NULL, refresh_token = NULL, expires_at = 0,
       oauth_state = NULL, webhook_key = NULL,
       needs_reauth = TRUE, last_error = 'Neutralised database: reconnect to a Xero demo company.';
UPDATE xero_connection SET auto_fetch_payments = FALSE;
UPDATE xero_task SET state = 'cancelled' WHERE state IN ('queued', 'running');
UPDATE ir_cron SET active = FALSE
 WHERE id IN (SELECT res_id FROM ir_model_data
               WHERE module = 'account_xero_sync' AND model = 'ir.cron');
