using System.Buffers.Binary;
using System.Text;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Reference;
using CharRnn.Inference.Tests.Weights;

namespace CharRnn.Inference.Tests.Snapshots;

/// <summary>
/// The snapshot bytes against docs/SNAPSHOT-FORMAT.md (field offsets, a CRC-32C computed here bit by bit), round trips,
/// and every way the bytes can be wrong: each must end in a <see cref="SnapshotFormatException"/> saying what.
/// </summary>
public class SnapshotFormatTests
{
    private InferenceEngine _engine = null!;
    private GeneratorSnapshot _snapshot = null!;
    private byte[] _bytes = null!;

    private static readonly GeneratorOptions Sampled = new() { Sampling = new SamplingOptions { Temperature = 0.7f, TopK = 9, TopP = 0.9f }, Seed = 0xDEADBEEF12345678 };

    [OneTimeSetUp]
    public void SetUp()
    {
        _engine = InferenceEngine.Create(RandomModels.Model(2, 24, 65, 8, seed: 5, scale: 0.6f), new EngineOptions { Backend = Backend.Cpu });
        using var generator = _engine.CreateGenerator(Sampled);
        generator.Prime("KING RICHARD:");
        generator.Generate(17);
        _snapshot = generator.Snapshot();
        _bytes = _snapshot.ToBytes();
    }

    [OneTimeTearDown]
    public void TearDown() => _engine.Dispose();

    // The layout as docs/SNAPSHOT-FORMAT.md states it, read here without the library's reader.
    [Test]
    public void Bytes_follow_the_documented_layout()
    {
        byte[] b = _bytes;
        int stateFloats = 2 * 2 * 24 + 65;
        Assert.Multiple(() =>
        {
            Assert.That(b.Length, Is.EqualTo(76 + 4 * stateFloats + 4));
            Assert.That(Encoding.ASCII.GetString(b[..8]), Is.EqualTo("CRNNSNAP"));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(b[8..]), Is.EqualTo(1), "version");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(b[10..]), Is.EqualTo(1 | 2), "flags: has logits, has embedding");
            Assert.That(Convert.ToHexStringLower(b.AsSpan(12, 16)), Is.EqualTo(_engine.ModelFingerprint.ToString()));
            Assert.That(BinaryPrimitives.ReadInt32LittleEndian(b[28..]), Is.EqualTo(2), "layers");
            Assert.That(BinaryPrimitives.ReadInt32LittleEndian(b[32..]), Is.EqualTo(24), "hidden");
            Assert.That(BinaryPrimitives.ReadInt32LittleEndian(b[36..]), Is.EqualTo(8), "input (embedding width)");
            Assert.That(BinaryPrimitives.ReadInt32LittleEndian(b[40..]), Is.EqualTo(65), "vocabulary");
            Assert.That(BinaryPrimitives.ReadInt64LittleEndian(b[44..]), Is.EqualTo(17), "position");
            Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(b[52..]), Is.EqualTo(0xDEADBEEF12345678), "seed");
            Assert.That(BinaryPrimitives.ReadSingleLittleEndian(b[60..]), Is.EqualTo(0.7f), "temperature");
            Assert.That(BinaryPrimitives.ReadInt32LittleEndian(b[64..]), Is.EqualTo(9), "top-k");
            Assert.That(BinaryPrimitives.ReadSingleLittleEndian(b[68..]), Is.EqualTo(0.9f), "top-p");
            Assert.That(BinaryPrimitives.ReadInt32LittleEndian(b[72..]), Is.EqualTo(stateFloats), "state length");
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(b[^4..]), Is.EqualTo(BitwiseCrc32C(b[..^4])), "CRC-32C of everything before it");
        });
        // The logits at the end of the state are the engine's prediction after the last character fed.
        var logits = new float[65];
        for (int i = 0; i < 65; i++)
        {
            logits[i] = BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(76 + 4 * (2 * 2 * 24 + i)));
        }
        Assert.That(logits.Any(v => v != 0f), "the pending logits are stored");
    }

    [Test]
    public void Round_trip_through_bytes_keeps_every_field_and_the_same_bytes()
    {
        var read = GeneratorSnapshot.FromBytes(_bytes);
        Assert.Multiple(() =>
        {
            Assert.That(read.Position, Is.EqualTo(17));
            Assert.That(read.IsPrimed, Is.True);
            Assert.That(read.Seed, Is.EqualTo(Sampled.Seed));
            Assert.That(read.Sampling, Is.EqualTo(Sampled.Sampling));
            Assert.That(read.ModelFingerprint, Is.EqualTo(_engine.ModelFingerprint));
            Assert.That(read.Dimensions, Is.EqualTo(_engine.Dimensions));
            Assert.That(read.ToBytes(), Is.EqualTo(_bytes));
        });
    }

    [Test]
    public void Unprimed_greedy_snapshot_round_trips()
    {
        using var generator = _engine.CreateGenerator();
        var read = GeneratorSnapshot.FromBytes(generator.Snapshot().ToBytes());
        Assert.That(read.IsPrimed, Is.False);
        Assert.That(read.Position, Is.Zero);
        Assert.That(read.Sampling.IsGreedy, Is.True);
        using var restored = _engine.CreateGenerator(read);
        Assert.That(restored.IsPrimed, Is.False);
        Assert.That(() => restored.Generate(1), Throws.InvalidOperationException);
    }

    [Test]
    public void Streams_hold_snapshots_one_after_another([Values] bool seekable)
    {
        using var greedy = _engine.CreateGenerator();
        greedy.Prime("abc");
        var second = greedy.Snapshot();
        var buffer = new MemoryStream();
        _snapshot.WriteTo(buffer);
        second.WriteTo(buffer);
        buffer.WriteByte(42);
        buffer.Position = 0;
        Stream input = seekable ? buffer : new NonSeekableStream(buffer);

        Assert.That(GeneratorSnapshot.Read(input).ToBytes(), Is.EqualTo(_bytes));
        Assert.That(GeneratorSnapshot.Read(input).ToBytes(), Is.EqualTo(second.ToBytes()));
        Assert.That(buffer.ReadByte(), Is.EqualTo(42), "the reader stops right after a snapshot");
    }

    [Test]
    public void Bad_magic_is_named()
    {
        var bytes = (byte[])_bytes.Clone();
        bytes[0] = (byte)'X';
        var e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes(bytes));
        Assert.That(e!.Message, Does.Contain("not a generator snapshot").And.Contain("CRNNSNAP"));
        Assert.That(e.ByteOffset, Is.Zero);
        Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes("{\"json\": true}"u8));
    }

    [TestCase((ushort)2, "version 2")]
    [TestCase((ushort)0, "version 0")]
    public void Unknown_version_is_named(ushort version, string expected)
    {
        var bytes = (byte[])_bytes.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), version);
        var e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes(bytes));
        Assert.That(e!.Message, Does.Contain(expected).And.Contain("reads version 1"));
        Assert.That(e.ByteOffset, Is.EqualTo(8));
    }

    [TestCase(0)]
    [TestCase(5)]
    [TestCase(8)]
    [TestCase(9)]
    [TestCase(40)]
    [TestCase(75)]
    [TestCase(76)]
    [TestCase(200)]
    [TestCase(-4)]
    [TestCase(-1)]
    public void Truncation_anywhere_is_named(int cut)
    {
        int length = cut >= 0 ? cut : _bytes.Length + cut;
        var e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes(_bytes.AsSpan(0, length)));
        Assert.That(e!.Message, Does.Contain("truncated").And.Contain($"{length} bytes"));
        var fromStream = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.Read(new MemoryStream(_bytes, 0, length)));
        Assert.That(fromStream!.Message, Does.Contain("truncated"));
        var fromPipe = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.Read(new NonSeekableStream(new MemoryStream(_bytes, 0, length))));
        Assert.That(fromPipe!.Message, Does.Contain("truncated"));
    }

    // Every byte after the version is covered by the checksum: position, seed, sampling, fingerprint, state, the CRC itself.
    [TestCase(12)]
    [TestCase(30)]
    [TestCase(45)]
    [TestCase(60)]
    [TestCase(100)]
    [TestCase(300)]
    [TestCase(-3)]
    public void A_flipped_byte_fails_the_checksum(int at)
    {
        var bytes = (byte[])_bytes.Clone();
        bytes[at >= 0 ? at : bytes.Length + at] ^= 0x10;
        var e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes(bytes));
        Assert.That(e!.Message, Does.Contain("damaged").And.Contain("CRC-32C"));
    }

    [Test]
    public void A_huge_length_is_refused_before_anything_is_allocated()
    {
        var bytes = (byte[])_bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(72), int.MaxValue);
        var e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes(bytes));
        Assert.That(e!.Message, Does.Contain("state length").And.Contain(int.MaxValue.ToString()));

        // Within the limit, but far more than the stream holds: refused from the lengths, not by reading to the end.
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(72), 60_000_000);
        var fromPipe = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.Read(new NonSeekableStream(new MemoryStream(bytes))));
        Assert.That(fromPipe!.Message, Does.Contain("truncated").And.Contain("240000080"));
    }

    [Test]
    public void Header_fields_that_contradict_each_other_are_named_even_with_a_valid_checksum()
    {
        var bytes = (byte[])_bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(32), 25);
        Reseal(bytes);
        var e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes(bytes));
        Assert.That(e!.Message, Does.Contain("need 165"));

        bytes = (byte[])_bytes.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(68), 1.5f);
        Reseal(bytes);
        e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes(bytes));
        Assert.That(e!.Message, Does.Contain("sampling options are invalid").And.Contain("top-p"));

        bytes = (byte[])_bytes.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(44), -1);
        Reseal(bytes);
        e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes(bytes));
        Assert.That(e!.Message, Does.Contain("position is -1"));
    }

    [Test]
    public void Bytes_after_the_end_are_refused_by_FromBytes()
    {
        var e = Assert.Throws<SnapshotFormatException>(() => GeneratorSnapshot.FromBytes([.. _bytes, 0, 0]));
        Assert.That(e!.Message, Does.Contain("2 bytes follow"));
    }

    private static void Reseal(byte[] bytes) =>
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), BitwiseCrc32C(bytes.AsSpan(0, bytes.Length - 4)));

    // CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one bit at a time: independent of the library's.
    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }
        return ~crc;
    }
}
