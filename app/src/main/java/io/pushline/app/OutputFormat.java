package io.pushline.app;

import io.pushline.admin.AdminText;

import java.io.PrintWriter;

/** {@code --format} of the commands that print a result as a table or as JSON (the admin API's JSON, the same shape). */
enum OutputFormat {
    table, json;

    /** {@code json} (a result's {@code toJson()}) as indented JSON on {@code out}. */
    static void printJson(PrintWriter out, Object json) {
        out.println(AdminText.indentedJson(json));
    }
}
