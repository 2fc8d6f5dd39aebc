using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Engine;

/// <summary>
/// Streams of a session as independent slots (what the scheduler relies on): a stream's numbers do not depend on its slot,
/// on which other streams are active, or on whether the backend overrides the slot methods or uses the base class's.
/// </summary>
public class SlotSessionTests
{
    private CharRnnModel _model = null!;
    private InferenceEngine _engine = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        // Hidden 48 is not a multiple of the widest vectors, so the scalar tails are exercised too.
        _model = RandomModels.Model(2, 48, 40, 12, seed: 5, scale: 0.5f);
        _engine = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });
    }

    [OneTimeTearDown]
    public void TearDown() => _engine.Dispose();

    private static IEnumerable<TestCaseData> Sessions()
    {
        yield return new TestCaseData(false).SetName("CPU session");
        yield return new TestCaseData(true).SetName("base class defaults");
    }

    private EngineSession Session(int streams, bool defaults)
    {
        var session = _engine.CreateSession(streams);
        // A backend that implements only the abstract core (as the GPU sessions do today), so that the base class's slot
        // methods run.
        return defaults ? new DelegatingSession(session) : session;
    }

    [TestCaseSource(nameof(Sessions))]
    public void A_stream_computes_the_same_bits_in_any_slot_and_any_company(bool defaults)
    {
        int[] text = [3, 17, 5, 5, 30, 1, 0, 22, 9, 39, 12, 12];
        // Alone, in a one-stream session, through Feed: the reference.
        using var alone = _engine.CreateSession(1);
        alone.Feed(text, text.Length);
        var expected = new float[alone.StateLength];
        alone.SaveState(expected);

        // Slot 5 of 7, with other streams active on some steps and not others.
        using var shared = Session(7, defaults);
        var rng = new Random(11);
        var state = new float[shared.StreamStateLength];
        for (int t = 0; t < text.Length; t++)
        {
            int active = rng.Next(6, 8);
            var tokens = new int[active];
            for (int s = 0; s < active; s++)
            {
                tokens[s] = rng.Next(40);
            }
            tokens[5] = text[t];
            shared.Step(tokens);
        }
        shared.SaveStream(5, state);
        Assert.That(state, Is.EqualTo(expected), "bit for bit");

        // Moved to slot 0 and stepped once more in a batch of one: still the same as alone.
        shared.CopyStream(5, 0);
        shared.Step([7]);
        alone.Feed([7], 1);
        alone.SaveState(expected);
        shared.SaveStream(0, state);
        Assert.That(state, Is.EqualTo(expected));
    }

    [TestCaseSource(nameof(Sessions))]
    public void Inactive_streams_keep_their_state(bool defaults)
    {
        using var session = Session(4, defaults);
        session.Step([1, 2, 3, 4]);
        var before = new float[session.StreamStateLength];
        session.SaveStream(3, before);
        session.Step([5, 6]);
        session.Step([7]);
        var after = new float[session.StreamStateLength];
        session.SaveStream(3, after);
        Assert.That(after, Is.EqualTo(before));
        session.SaveStream(1, after);
        Assert.That(after, Is.Not.EqualTo(before));
    }

    [TestCaseSource(nameof(Sessions))]
    public void Restore_and_read_logits_address_one_stream(bool defaults)
    {
        using var session = Session(3, defaults);
        session.Step([1, 2, 3]);
        var one = new float[session.StreamStateLength];
        session.SaveStream(0, one);
        session.RestoreStream(2, one);
        var logits = new float[3 * _model.Dimensions.VocabularySize];
        session.ReadLogits(logits, 3);
        int v = _model.Dimensions.VocabularySize;
        Assert.That(logits.AsSpan(2 * v, v).ToArray(), Is.EqualTo(logits.AsSpan(0, v).ToArray()));
        Assert.That(logits.AsSpan(v, v).ToArray(), Is.Not.EqualTo(logits.AsSpan(0, v).ToArray()));
        var two = new float[2 * v];
        session.ReadLogits(two, 2);
        Assert.That(two, Is.EqualTo(logits.AsSpan(0, 2 * v).ToArray()));
    }

    [Test]
    public void Bad_slot_arguments_are_refused()
    {
        using var session = _engine.CreateSession(2);
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => session.Step([1, 2, 3]));
            Assert.Throws<ArgumentException>(() => session.Step([]));
            Assert.Throws<ArgumentOutOfRangeException>(() => session.Step([40]));
            Assert.Throws<ArgumentOutOfRangeException>(() => session.SaveStream(2, new float[session.StreamStateLength]));
            Assert.Throws<ArgumentException>(() => session.RestoreStream(0, new float[3]));
            Assert.Throws<ArgumentOutOfRangeException>(() => session.CopyStream(-1, 0));
        });
    }
}
