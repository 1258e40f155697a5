using Microsoft.Extensions.Logging;

namespace Accountability.Messaging.Database;

/// <summary>How a group written in one transaction fails: alone, item by item, never for its neighbours.</summary>
public static class GroupWrite
{
    /// <summary>
    /// Writes <paramref name="group"/> together; when that throws, writes each item alone, in order, so that one bad item
    /// fails alone and the others are still written. A group of one is written alone at once. <paramref name="alone"/>
    /// reports an item's own failure in its result rather than throwing it.
    /// </summary>
    public static async Task<IReadOnlyList<TResult>> TogetherOrOneByOneAsync<TItem, TResult>(
        IReadOnlyList<TItem> group,
        Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> together,
        Func<TItem, Task<TResult>> alone,
        ILogger logger,
        string items)
    {
        if (group.Count == 1)
            return [await alone(group[0])];
        try
        {
            return await together(group);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Writing a group of {Count} {Items} together failed; writing them one at a time", group.Count, items);
            var results = new List<TResult>(group.Count);
            foreach (var item in group)
                results.Add(await alone(item));
            return results;
        }
    }
}
