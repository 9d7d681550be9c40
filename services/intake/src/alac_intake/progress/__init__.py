"""Progress e-mails to complainants: "there is news, open your follow-up page with your
receipt code", nothing more.

Only a complainant who left an e-mail address and said it is safe to contact them
(`safe_to_contact`) is written to, never an anonymous one. The case events intake already
consumes for the follow-up page (case.opened, case.status_changed, case.closed) are the
trigger: when what the follow-up page shows changes, one e-mail is put in intake's delivery
outbox (alac_kernel.delivery) in the transaction that applied the event, and the relay sends
it with retries, at most once. The address is read from the vault when the e-mail is sent and
never stored beside it; the rows and the log say to which complaint, for which event, when.

- rules.py: who is written to, and in which language
- message.py: the e-mail itself (jinja2 templates, plain text and HTML, kk/ru/en)
- service.py: the event handler that decides, and the relay that sends
- admin.py, views.py, schemas.py: the tenant admin's list of e-mails that could not be
  delivered, and "retry now"
"""
