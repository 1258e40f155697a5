// The readiness test stops the broker under every service: nothing else may run meanwhile.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
