namespace ResearchKit.Notebooks.Tests.Format;

/// <summary>A notebook as VS Code's Polyglot extension and Jupyter save it (sorted keys, indent 1, lines as lists).</summary>
internal static class PolyglotSample
{
    public const string Json = """
{
 "cells": [
  {
   "attachments": {
    "img.png": {
     "image/png": "iVBORw0KGgo="
    }
   },
   "cell_type": "markdown",
   "id": "a1b2c3d4",
   "metadata": {},
   "source": [
    "# Title – ∑ é\n",
    "\n",
    "![img](attachment:img.png)"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 1,
   "id": "params-cell_01",
   "metadata": {
    "custom": {
     "nested": [
      1,
      2.50,
      null,
      true
     ]
    },
    "dotnet_interactive": {
     "language": "csharp"
    },
    "polyglot_notebook": {
     "kernelName": "csharp"
    },
    "tags": [
     "parameters",
     "keep-me"
    ],
    "vscode": {
     "languageId": "polyglot-notebook"
    }
   },
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "loss 0.5\n",
      "loss 0.25\n"
     ]
    },
    {
     "data": {
      "application/vnd.plotly.v1+json": {
       "data": [
        {
         "type": "scatter",
         "y": [
          1,
          2
         ]
        }
       ],
       "layout": {}
      },
      "text/html": [
       "<div>fig</div>"
      ],
      "text/plain": [
       "Figure"
      ]
     },
     "metadata": {
      "researchkit": {
       "kind": "figure",
       "name": "fig4-4"
      }
     },
     "output_type": "display_data"
    },
    {
     "data": {
      "text/plain": [
       "42"
      ]
     },
     "execution_count": 1,
     "metadata": {},
     "output_type": "execute_result"
    },
    {
     "ename": "System.Exception",
     "evalue": "bad \"quote\"",
     "output_type": "error",
     "traceback": [
      "\u001b[31mSystem.Exception\u001b[0m: bad",
      "   at Submission#1"
     ]
    }
   ],
   "source": [
    "#!csharp\n",
    "var preset = \"smoke\";\n",
    "Console.WriteLine(\"tab\\there\");"
   ]
  },
  {
   "cell_type": "raw",
   "id": "raw-1",
   "metadata": {
    "format": "text/x-rst"
   },
   "source": []
  }
 ],
 "metadata": {
  "kernelspec": {
   "display_name": ".NET (C#)",
   "language": "C#",
   "name": ".net-csharp"
  },
  "language_info": {
   "name": "polyglot-notebook"
  },
  "polyglot_notebook": {
   "kernelInfo": {
    "defaultKernelName": "csharp",
    "items": [
     {
      "aliases": [
       "c#",
       "C#"
      ],
      "languageName": "C#",
      "name": "csharp"
     },
     {
      "aliases": [],
      "name": "vscode"
     }
    ]
   }
  },
  "x-unknown-notebook-key": "kept"
 },
 "nbformat": 4,
 "nbformat_minor": 5,
 "x-top-level": {
  "also": "kept"
 }
}

""";
}
