// These tests stop the broker and kill processes: run them one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
