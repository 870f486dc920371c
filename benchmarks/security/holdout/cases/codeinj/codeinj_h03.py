from django.http import JsonResponse

FORMULAS = {
    "rectangle": "width * height",
    "triangle": "width * height / 2",
    "ellipse": "3.14159 * width * height / 4",
}


def area(request):
    shape = request.GET.get("shape", "rectangle")
    formula = FORMULAS.get(shape, FORMULAS["rectangle"])
    try:
        dims = {"width": float(request.GET["w"]), "height": float(request.GET["h"])}
    except (KeyError, ValueError):
        return JsonResponse({"error": "w and h must be numbers"}, status=400)
    value = eval(formula, {"__builtins__": {}}, dims)
    return JsonResponse({"shape": shape, "area": value})
