"""The WeChat official-account (微信公众号) channel: the `/wechat` endpoint of the web app,
passive and customer-service replies, and the outbox sender with WeChat's 48-hour window."""
