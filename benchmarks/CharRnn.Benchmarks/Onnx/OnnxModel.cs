using System.Runtime.InteropServices;

namespace CharRnn.Benchmarks.Onnx;

/// <summary>
/// Builds an ONNX ModelProto (IR version 8, default domain opset 17) from a list of nodes, initializers and graph
/// inputs and outputs. Field numbers are onnx.proto's (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
/// ValueInfoProto, TypeProto).
/// </summary>
internal sealed class OnnxModel
{
    // TensorProto.DataType
    public const int Float = 1;
    public const int Int64 = 7;

    private readonly List<Action<ProtoWriter>> _nodes = [];
    private readonly List<Action<ProtoWriter>> _initializers = [];
    private readonly List<Action<ProtoWriter>> _inputs = [];
    private readonly List<Action<ProtoWriter>> _outputs = [];
    private int _nodeCount;

    /// <summary>Adds a node; attributes are (name, int or float or int[]).</summary>
    public string Node(string op, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        Node(op, inputs, [output], attributes);
        return output;
    }

    public void Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        string name = $"{op}_{_nodeCount++}";
        _nodes.Add(w =>
        {
            foreach (var input in inputs) w.String(1, input);
            foreach (var output in outputs) w.String(2, output);
            w.String(3, name).String(4, op);
            foreach (var (attribute, value) in attributes)
            {
                w.Message(5, a =>
                {
                    a.String(1, attribute);
                    switch (value)
                    {
                        case int i: a.Int(3, i).Int(20, 2); break;          // INT
                        case long l: a.Int(3, l).Int(20, 2); break;
                        case float f: a.Float(2, f).Int(20, 1); break;      // FLOAT
                        case long[] ints:                                     // INTS
                            foreach (long v in ints) a.Int(8, v);
                            a.Int(20, 7);
                            break;
                        default: throw new ArgumentException($"Unsupported attribute type {value.GetType()}.");
                    }
                });
            }
        });
    }

    public string Initializer(string name, long[] dims, float[] values) => Initializer(name, dims, Float, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public string Initializer(string name, long[] dims, long[] values) => Initializer(name, dims, Int64, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    private string Initializer(string name, long[] dims, int type, byte[] raw)
    {
        _initializers.Add(w =>
        {
            foreach (long d in dims) w.Int(1, d);
            w.Int(2, type).String(8, name).Bytes(9, raw);
        });
        return name;
    }

    /// <summary>A graph input; a dimension of -1 is the symbolic "batch".</summary>
    public string Input(string name, int type, params long[] dims)
    {
        _inputs.Add(ValueInfo(name, type, dims));
        return name;
    }

    public void Output(string name, int type, params long[] dims) => _outputs.Add(ValueInfo(name, type, dims));

    private static Action<ProtoWriter> ValueInfo(string name, int type, long[] dims) => w => w
        .String(1, name)
        .Message(2, t => t.Message(1, tensor => tensor
            .Int(1, type)
            .Message(2, shape =>
            {
                foreach (long d in dims)
                {
                    shape.Message(1, dim => { if (d < 0) dim.String(2, "batch"); else dim.Int(1, d); });
                }
            })));

    public byte[] ToBytes(string graphName) => new ProtoWriter()
        .Int(1, 8)                                       // ir_version
        .String(2, "CharRnn.Benchmarks")                 // producer_name
        .Message(8, o => o.String(1, "").Int(2, 17))     // opset_import
        .Message(7, g =>                                 // graph
        {
            foreach (var node in _nodes) g.Message(1, node);
            g.String(2, graphName);
            foreach (var init in _initializers) g.Message(5, init);
            foreach (var input in _inputs) g.Message(11, input);
            foreach (var output in _outputs) g.Message(12, output);
        })
        .ToArray();
}
