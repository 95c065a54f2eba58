// The bundle's entry. anywidget 0.11 wants only a default export: a named `render` export makes it
// log a deprecation warning in every frontend, so tests reach the view through view.ts instead.
import { render } from "./view";

export default { render };
