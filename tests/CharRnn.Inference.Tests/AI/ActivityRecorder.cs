using System.Diagnostics;

namespace CharRnn.Inference.Tests.AI;

/// <summary>Records the activities of one source that stop on the test's own async flow (other tests run in parallel).</summary>
internal sealed class ActivityRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly List<Activity> _stopped = [];

    public ActivityRecorder(string sourceName)
    {
        var root = new Activity("test root").Start();
        Root = root;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == sourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == root.TraceId)
                {
                    lock (_stopped)
                    {
                        _stopped.Add(activity);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The parent of every recorded activity: its trace id tells this test's activities from others'.</summary>
    public Activity Root { get; }

    public IReadOnlyList<Activity> Stopped
    {
        get
        {
            lock (_stopped)
            {
                return [.. _stopped];
            }
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Root.Stop();
    }
}
