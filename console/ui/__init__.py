"""Qt widgets, item models, the flowchart scene, dialogs, tray and wall screen."""
