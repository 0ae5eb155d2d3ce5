from console.ui.placeholder import WINDOW_TITLE, build_main_window


def test_the_main_window_opens_with_the_product_title(qtbot):
    window = build_main_window()
    qtbot.addWidget(window)

    with qtbot.waitExposed(window):
        window.show()

    assert window.isVisible()
    assert window.windowTitle() == WINDOW_TITLE == "Escalation Console"
