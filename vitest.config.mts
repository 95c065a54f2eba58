// .mts: an ES module whatever package.json says. The repository's package.json declares no
// "type": "module", since Node would then load every CommonJS file below it (JupyterLab's yarn.js in
// a .venv inside the clone) as an ES module, and fail.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "jsdom",
    include: ["js/**/*.test.ts"],
  },
});
