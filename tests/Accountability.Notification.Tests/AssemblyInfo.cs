// Two cores, one Notification process, and tests that stop its SMTP relay: one test at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
