// The bundle's entry: one bundle for every widget of the package, each view chosen by the model's
// `frame_kind`. anywidget 0.11 wants only a default export: a named `render` export makes it log a
// deprecation warning in every frontend, so tests reach the views through view.ts and panel.ts.
import type { RenderProps } from "@anywidget/types";
import { render as renderFrame, type Model } from "./view";
import { render as renderPanel, type PanelModel } from "./panel";
import { render as renderHealth, type HealthModel } from "./health";

function render(props: RenderProps<Model | PanelModel | HealthModel>): () => void {
  if (props.model.get("frame_kind") === "health") return renderHealth(props as RenderProps<HealthModel>);
  return props.model.get("frame_kind") === "panel"
    ? renderPanel(props as RenderProps<PanelModel>)
    : renderFrame(props as RenderProps<Model>);
}

export default { render };
