package org.diffusion4j.diffusers;

import com.google.gson.JsonPrimitive;
import java.util.Locale;

/** Just enough of Python's {@code json.dumps(indent=2)} to write configs byte for byte as diffusers does. */
final class PythonJson {
    private PythonJson() {}

    static void value(StringBuilder b, Object x, String indent) {
        if (x == null) {
            b.append("null");
        } else if (x instanceof Boolean bool) {
            b.append(bool ? "true" : "false");
        } else if (x instanceof Integer i) {
            b.append(i);
        } else if (x instanceof Double d) {
            b.append(number(d));
        } else if (x instanceof String s) {
            b.append(string(s));
        } else if (x instanceof double[] arr) {
            if (arr.length == 0) {
                b.append("[]");
                return;
            }
            b.append("[\n");
            for (int i = 0; i < arr.length; i++) {
                b.append(indent).append("  ").append(number(arr[i])).append(i + 1 < arr.length ? ",\n" : "\n");
            }
            b.append(indent).append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + x.getClass());
        }
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
    static String number(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        java.math.BigDecimal bd = new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros();
        double a = Math.abs(d);
        if (a >= 1e-4 && a < 1e16) {
            String s = bd.toPlainString();
            return s.contains(".") ? s : s + ".0";
        }
        // d.ddde±XX with at least two exponent digits, as Python writes it
        String digits = bd.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - bd.scale();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
                + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
    }

    static String string(String s) {
        return new JsonPrimitive(s).toString();
    }
}
