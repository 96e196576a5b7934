package org.diffusion4j.io;

import ai.djl.ndarray.types.DataType;

/** The element types of the safetensors format, with their size and DJL counterpart. */
public enum DType {
    BOOL(1, DataType.BOOLEAN),
    U8(1, DataType.UINT8),
    I8(1, DataType.INT8),
    F8_E4M3(1, null),
    F8_E5M2(1, null),
    I16(2, DataType.INT16),
    U16(2, DataType.UINT16),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.BFLOAT16),
    I32(4, DataType.INT32),
    U32(4, DataType.UINT32),
    F32(4, DataType.FLOAT32),
    F64(8, DataType.FLOAT64),
    I64(8, DataType.INT64),
    U64(8, DataType.UINT64);

    private final int size;
    private final DataType djl;

    DType(int size, DataType djl) {
        this.size = size;
        this.djl = djl;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    /** The DJL data type, or null when DJL has none. */
    public DataType djl() {
        return djl;
    }

    /** The safetensors dtype of a DJL data type. */
    public static DType of(DataType type) {
        for (DType d : values()) {
            if (d.djl == type) {
                return d;
            }
        }
        throw new IllegalArgumentException("no safetensors dtype for DJL type " + type);
    }

    /** Parses a dtype name, or returns null when it is not a safetensors dtype. */
    static DType parse(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }
}
