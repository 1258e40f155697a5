using System.Diagnostics;

namespace Accountability.TestSupport;

public static class ProcessExtensions
{
    /// <summary>
    /// True once the process has exited and everything it printed has been read: the exit is seen before the last
    /// asynchronous output lines arrive, so this waits for the end of the streams.
    /// </summary>
    public static bool HasExitedWithOutputRead(this Process process)
    {
        if (!process.HasExited)
            return false;
        process.WaitForExit();
        return true;
    }
}
