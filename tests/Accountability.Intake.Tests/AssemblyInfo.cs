// Two cores: the service processes and their tests run one collection at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
