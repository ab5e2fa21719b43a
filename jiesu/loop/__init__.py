"""The closed loop (闭环督导): deadline alerts and 督办, the follow-up survey, 重办, and 三率.

`jiesu.scheduler.sweep` runs what is due (the `jiesu scheduler` command calls it on
a timer); `followup` takes the resident's answers; `alerts` serves the console;
`rates` computes the response, solve and satisfaction rates from the audit trail.
"""
